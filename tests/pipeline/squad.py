"""A team of four who started the bot and joined by the button (the e2e ``Squad`` story, in
process); ``Gleb`` is in the group but never started the bot."""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.kudos import KudosService, Period
from bot.services.teams import Team, TeamsService
from tests.e2e.texts import ru
from tests.pipeline.harness import Answer, Group, Person, Pipeline, Shown

TEAM = "Поддержка"
JOIN = ru.t("teams.join")
MORE = ru.t("kudos.page_more")


def card(giver: str, receivers: str, reason: str, quality: str) -> str:
    return ru("kudos.card", giver=giver, receivers=receivers, reason=reason, quality=quality)


def left(n: int, budget: int = 5) -> str:
    return "\n\n" + ru("kudos.left_today", left=n, budget=budget)


def dm(giver: str, reason: str, quality: str, team: str = TEAM) -> str:
    return ru("kudos.dm", giver=giver, reason=reason, quality=quality, team=team)


@dataclass
class Squad:
    pipe: Pipeline
    group: Group
    greeting: Shown
    lead: Person
    anna: Person
    boris: Person
    vera: Person
    gleb: Person

    @property
    def teams(self) -> TeamsService:
        service: TeamsService = self.pipe.dp["teams"]
        return service

    @property
    def kudos(self) -> KudosService:
        service: KudosService = self.pipe.dp["kudos"]
        return service

    async def team(self) -> Team:
        team = await self.teams.by_chat(self.group.id)
        assert team is not None
        return team

    async def total(self) -> int:
        return (await self.kudos.board(await self.team(), Period.ALL)).total

    async def remaining(self, person: Person) -> int:
        return await self.kudos.remaining(await self.team(), person.id)

    async def say(self, person: Person, text: str, reply_to: Shown | None = None) -> list[Shown]:
        """``person`` writes in the group; what the bot said there meanwhile."""
        return await self.pipe.said(
            self.group, self.pipe.send(person, text, chat=self.group, reply_to=reply_to)
        )

    async def choose(self, person: Person, picker: Shown, label: str) -> Answer:
        """Press ``label`` in a quality picker, turning its pages until it shows."""
        for _ in range(10):
            if label in self.pipe.current(picker).labels():
                return await self.pipe.press(person, picker, label)
            await self.pipe.press(person, picker, MORE)
        raise AssertionError(f"no {label!r} on any page of the picker")


async def make_squad(pipe: Pipeline) -> Squad:
    lead = pipe.person("Лена", username="lena_lead")
    anna = pipe.person("Анна", username="anna_k")
    boris = pipe.person("Борис", username="boris_b")
    vera = pipe.person("Вера", username="vera_v")
    gleb = pipe.person("Глеб", username="gleb_g")
    for person in (lead, anna, boris, vera):
        await pipe.start(person)
    group = pipe.group(TEAM, members=[anna, boris, vera, gleb], admins=[lead])
    await pipe.add_bot(group, by=lead)
    greeting = pipe.last(group.id)
    for person in (anna, boris, vera):
        answer = await pipe.press(person, greeting, JOIN)
        assert answer.text == ru.t("teams.joined", title=TEAM)
    return Squad(pipe, group, greeting, lead, anna, boris, vera, gleb)
