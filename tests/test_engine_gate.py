"""Azure's gate (R16, R26, R27) is given when a world is made, and every world has its own."""

from __future__ import annotations

import pytest
from helpers import AMA, CSE, MMA, one_group

from sim.engine import DAY, CloudRequest, FleetSpec, GroupSpec, Op, Outcome, Timing, World
from sim.engine.codes import REASON_CODE
from sim.engine.gate import PolicyBook
from sim.engine.params import ParamError
from sim.engine.policy import PolicyAdmin, PolicyRule
from sim.engine.state import FleetState
from sim.engine.upgrades import AutoUpgrade
from sim.rules.identity import ExtensionId


class RefuseEverything:
    """A gate that refuses every write as a policy deny and names no overrider."""

    def refusal(self, w: FleetState, m: int, x: int, op: Op,
                actor: int) -> tuple[str, str] | None:
        return None if op == Op.DELETE else ("policy_deny", "R26")

    def overrider(self, w: FleetState, m: int, x: int, op: int, actor: int) -> int | None:
        return None


def outcomes(world: World) -> list[tuple[int, int]]:
    r = world.records
    return list(zip(r["operation"].tolist(), r["outcome"].tolist(), strict=True))


def test_r26_the_world_asks_the_gate_it_was_made_with() -> None:
    w = World(one_group(2), seed=1, gate=RefuseEverything())
    w.add(CloudRequest("dev", extension=CSE, timing=Timing(at=10)))
    w.run(DAY)
    assert outcomes(w) == [(Op.INSTALL, Outcome.DENIED)] * 2
    assert set(w.records["reason"].tolist()) == {REASON_CODE["policy_deny"]}


def test_r26_policy_actors_change_the_book_the_world_was_made_with() -> None:
    book = PolicyBook()
    w = World(one_group(1), seed=1, gate=book)
    w.add(PolicyAdmin("secops", "assign", "no-scripts", rule=PolicyRule.deny_listed([CSE])))
    w.add(CloudRequest("dev", extension=CSE, timing=Timing(at=10)))
    w.run(DAY)
    assert w.gate is book and list(book.assignments) == ["no-scripts"]
    assert (Op.INSTALL, Outcome.DENIED) in outcomes(w)


def test_r27_a_world_has_a_gate_without_policy_actors() -> None:
    w = World(one_group(1), seed=1)
    w.add(CloudRequest("viewer", extension=CSE, role="Reader", timing=Timing(at=10)))
    w.run(DAY)
    assert isinstance(w.gate, PolicyBook) and not w.gate.assignments
    assert outcomes(w) == [(Op.INSTALL, Outcome.DENIED)]
    assert w.records["reason"].tolist() == [REASON_CODE["authorization_failed"]]


def test_every_world_gets_its_own_book() -> None:
    first, second = World(one_group(1)), World(one_group(1))
    assert first.gate is not second.gate


def test_policy_actors_need_a_policy_book_as_gate() -> None:
    w = World(one_group(1), gate=RefuseEverything())
    with pytest.raises(ParamError, match=r"^secops: changes Azure Policy, but the world's gate "
                                         r"is a RefuseEverything, not a PolicyBook$"):
        w.add(PolicyAdmin("secops", "assign", "no-scripts", rule=PolicyRule.deny_listed([CSE])))


def _two_groups() -> FleetSpec:
    return FleetSpec(tuple(GroupSpec(name, 1, agent_versions={"1.40": 1.0})
                           for name in ("web", "db")))


def test_r16_r26_the_gate_names_no_overrider_for_what_policy_does_not_evaluate() -> None:
    # a removed deny lets writes through: an override by whoever removed it (R16); a delete
    # and an automatic upgrade (a POST action, R26, R29) are never evaluated, so never are
    w = World(one_group(1), seed=1)
    w.add(PolicyAdmin("secops", "assign", "no-mma", rule=PolicyRule.deny_listed([MMA])))
    w.add(PolicyAdmin("boss", "unassign", "no-mma", at=10))
    w.add(AutoUpgrade(MMA, "2.0"))
    w.run(DAY)
    book, x = w.gate, w.extension(MMA)
    assert isinstance(book, PolicyBook)
    boss, robot, dev = w.actor("boss"), w.actor(AutoUpgrade.name), w.actor("dev")
    assert book.overrider(w, 0, x, Op.INSTALL, dev) == boss
    assert book.overrider(w, 0, x, Op.UPGRADE, dev) == boss  # a person's upgrade is a write
    assert book.overrider(w, 0, x, Op.UPGRADE, robot) is None
    assert book.overrider(w, 0, x, Op.DELETE, dev) is None


def test_r26_denies_and_the_request_gate_agree_on_scopes_and_exemptions() -> None:
    w = World(_two_groups(), seed=1, extensions=(AMA, MMA, CSE))
    w.add(PolicyAdmin("secops", "assign", "no-scripts", rule=PolicyRule.deny_listed([CSE])))
    w.add(PolicyAdmin("secops", "assign", "no-mma-on-db", scope="db",
                      rule=PolicyRule.deny_listed([MMA])))
    w.add(PolicyAdmin("secops", "exempt", "no-scripts", scope="web", at=10))
    w.run(DAY)
    book, owner = w.gate, w.actor("owner")
    assert isinstance(book, PolicyBook)
    verdicts = {}
    for m, group in enumerate(("web", "db")):
        for name in (AMA, MMA, CSE):
            denied = book.denies(w, w.m_group[m], ExtensionId.parse(name))
            refusal = book.refusal(w, m, w.extension(name), Op.INSTALL, owner)
            assert denied is (refusal == ("policy_deny", "R26"))
            verdicts[group, name] = denied
    assert verdicts == {("web", AMA): False, ("web", MMA): False, ("web", CSE): False,
                        ("db", AMA): False, ("db", MMA): True, ("db", CSE): True}
