"""Canary names that look like any other test: words drawn from the run's secret token.

A canary named ``pgcanary_<token>_fail_eq`` told code in the test process both that it is a canary and that it
must fail: a re-run-and-rewrite attack needed nothing more. Here a canary is named with ordinary words
(``walnut_sequence_holds``, ``TestWalnutSequenceHolds``, ``"walnut sequence holds"``), the same for the ones that
must pass and the ones that must fail, and which is which lives only on the host (:class:`.reports.Canary`). The
words are drawn from a generator seeded with the run's token (itself from :mod:`secrets`), so they cannot be
guessed in advance and a run can be replayed from its token.
"""

from __future__ import annotations

import random
from typing import Callable, Iterator


__all__ = ["canary_names"]

# Plain words that read like the things tests are named after, none of which hints at an outcome (no "fail",
# "pass", "error", "invalid", "canary", ...).
_WORDS = tuple("""
acorn amber anchor apple arch arrow atlas autumn badge bakery ball bamboo banner barley basket beacon bead bench
berry birch blanket blossom board bolt bottle boulder bracket branch brick bridge brook bucket budget buffer bundle
button cabin cable candle canvas canyon carbon cargo carpet castle cedar cellar chain chalk chapter cherry chimney
cinder circle citrus clay cliff clock cloud clover cobalt comet copper coral cotton crane crater crystal cupboard
curtain cycle daisy delta desert dial dinner domain dove drawer drum dune eagle easel echo elbow ember engine fabric
falcon feather fence fern ferry fiddle field figure flame flute forest fossil fountain frame garden garnet gate
glacier glass granite grape gravel harbor hazel hedge helmet heron hill hinge honey horizon indigo island ivory jacket
jasmine jewel kettle kitten ladder lagoon lantern lattice ledger lemon lily linen locket lotus maple marble meadow
melon metal mirror mosaic moss mountain nectar needle nickel oak oasis ocean olive orbit orchard otter paddle palette
panel paper parcel pebble pepper pillar pine planet plum pocket pond poppy prairie prism pulley quartz quill rabbit
raft rain raven reed ribbon ridge river robin rocket rope saddle saffron sail salmon sand satin scarf shell shore
signal silver slate sparrow spindle spiral spruce stable stone straw stream summit sunset swan table tablet tango
teapot thimble thistle thunder timber topaz tower trail tulip tunnel turtle valley velvet violet voyage wagon walnut
willow window winter wool yarn zenith
""".split())
_VERBS = tuple("""
aligns balances bends carries closes counts covers crosses fits folds follows grows holds joins keeps leans lifts
lines matches meets merges moves opens orders rests returns rises rolls settles shifts sorts spins splits stacks
stands stays steers swings takes tracks turns waits walks wraps
""".split())


def _phrases(token: str) -> Iterator[tuple[str, str, str]]:
    """Endless (noun, noun, verb) triples from a generator seeded with ``token``."""
    rng = random.Random(f"canary-names:{token}")
    while True:
        first, second = rng.sample(_WORDS, 2)
        yield first, second, rng.choice(_VERBS)


def canary_names(token: str, count: int, form: Callable[[tuple[str, str, str]], str], taken: str = "") -> list[str]:
    """``count`` distinct names ``form(words)`` for this run's canaries, none of which occurs in ``taken`` (the
    test file they join: a canary must not collide with, or be a part of, one of the exercise's own names)."""
    names: list[str] = []
    for words in _phrases(token):
        name = form(words)
        if name not in names and name not in taken:
            names.append(name)
            if len(names) == count:
                return names
    raise AssertionError("unreachable: the phrase generator is endless")
