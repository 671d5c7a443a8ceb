"""``RouteIndex``: finds every layer matching a path without scanning every layer.

@koa/router tests each layer's regex in turn, so a request costs O(routes). Here the layers
whose path is a list of whole segments (static text, ``:param``, ``:param(regex)``, a final
``*wildcard``) go into a segment tree: a dict per static segment, one edge per distinct
parameter constraint. A lookup walks only the branches the path can take, so its cost depends
on the path and the shape of the routes, not on their number. Everything else (regex routes,
``:a-:b`` inside a segment, a wildcard followed by more path) goes into an ordered fallback list
tested one by one. Both kinds of hits are merged back into registration order, because Koa runs
every matching layer in that order.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from .layer import Layer
from .path import Flat, Param, Text, Wildcard

__all__ = ["Hit", "RouteIndex"]

#: ``(ordinal, alternative, layer, raw captures, their names)``
Hit = tuple[int, int, Layer, tuple[str, ...], tuple[str, ...]]
_Entry = tuple[int, int, Layer, tuple[str, ...]]


class _Node:
    __slots__ = ("end", "params", "plain", "prefix", "static", "trail", "wild")

    def __init__(self) -> None:
        self.static: dict[str, _Node] = {}
        self.params: list[tuple[re.Pattern[str] | None, str | None, _Node]] = []
        self.end: list[_Entry] = []  # paths that end here
        self.trail: list[_Entry] = []  # ... or here plus one "/" (non-strict)
        self.prefix: list[_Entry] = []  # use() layers: anything below this node
        self.wild: list[_Entry] = []  # a final *wildcard: one or more characters
        self.plain: _Node | None = None  # the edge when ``params`` is one unconstrained one

    def child_for(self, pattern: str | None, sensitive: bool) -> _Node:
        for _compiled, source, child in self.params:
            if source == pattern:
                return child
        node = _Node()
        compiled = None if pattern is None else re.compile(pattern, 0 if sensitive else re.I)
        # Plain params first: the walk order does not change results, which are re-sorted.
        self.params.append((compiled, pattern, node))
        self.plain = node if len(self.params) == 1 and pattern is None else None
        return node


def _segments(flat: Flat) -> list[list[Text | Param | Wildcard]] | None:
    """The path split at ``/`` (without the leading one), or ``None`` when it does not start
    with ``/``."""
    if not flat or not isinstance(flat[0], Text) or not flat[0].value.startswith("/"):
        return None
    segments: list[list[Text | Param | Wildcard]] = [[]]
    for token in flat:
        if isinstance(token, Text):
            pieces = token.value.split("/")
            if pieces[0]:
                segments[-1].append(Text(pieces[0]))
            for piece in pieces[1:]:
                segments.append([Text(piece)] if piece else [])
        else:
            segments[-1].append(token)
    return segments[1:]


def _tree_plan(flat: Flat) -> list[tuple[str, object]] | None:
    """Steps to insert ``flat`` into the tree, or ``None`` when it needs a regex."""
    segments = _segments(flat)
    if segments is None:
        return None
    steps: list[tuple[str, object]] = []
    for position, segment in enumerate(segments):
        if not segment:
            steps.append(("static", ""))
        elif all(isinstance(t, Text) for t in segment):
            steps.append(("static", "".join(t.value for t in segment if isinstance(t, Text))))
        elif len(segment) == 1 and isinstance(segment[0], Param):
            steps.append(("param", segment[0]))
        elif (
            len(segment) == 1 and isinstance(segment[0], Wildcard) and position == len(segments) - 1
        ):
            steps.append(("wild", segment[0]))
        else:
            return None
    return steps


class _Tree:
    __slots__ = ("root", "sensitive")

    def __init__(self, sensitive: bool) -> None:
        self.sensitive = sensitive
        self.root = _Node()

    def insert(self, layer: Layer, alt: int, steps: list[tuple[str, object]]) -> None:
        node = self.root
        names: list[str] = []
        for kind, value in steps:
            if kind == "static":
                assert isinstance(value, str)
                key = value if self.sensitive else value.lower()
                child = node.static.get(key)
                if child is None:
                    child = node.static[key] = _Node()
                node = child
            elif kind == "param":
                assert isinstance(value, Param)
                node = node.child_for(value.pattern, self.sensitive)
                names.append(value.name)
            else:
                assert isinstance(value, Wildcard)
                names.append(value.name)
                node.wild.append((layer.ordinal, alt, layer, tuple(names)))
                return
        entry = (layer.ordinal, alt, layer, tuple(names))
        if not layer.end:
            node.prefix.append(entry)
        else:
            node.end.append(entry)
            if not layer.strict:
                node.trail.append(entry)


class RouteIndex:
    """Every layer of a router (nested routers flattened), indexed for ``match``."""

    __slots__ = ("_fallback", "_padded", "_trees", "layers")

    def __init__(self, layers: Sequence[Layer]) -> None:
        self.layers = list(layers)
        self._trees: list[_Tree] = []
        self._fallback: list[Layer] = []
        #: Whether a tree layer has optional groups (its captures are padded after a match).
        self._padded = False
        trees: dict[bool, _Tree] = {}
        for ordinal, layer in enumerate(self.layers):
            layer.ordinal = ordinal
            plans = None
            if isinstance(layer.path, str):
                plans = [_tree_plan(flat) for flat in layer.flats]
                if any(plan is None for plan in plans):
                    plans = None
            if plans is None:
                layer.regex  # noqa: B018 (compile now, not on the first request)
                self._fallback.append(layer)
                continue
            tree = trees.get(layer.sensitive)
            if tree is None:
                tree = trees[layer.sensitive] = _Tree(layer.sensitive)
                self._trees.append(tree)
            for alt, plan in enumerate(plans):
                assert plan is not None
                tree.insert(layer, alt, plan)
            if layer.capture_slots is not None:
                self._padded = True

    @property
    def fallback_size(self) -> int:
        """How many layers are tested one by one (regex routes and mid-segment params)."""
        return len(self._fallback)

    def match(self, path: str) -> list[Hit]:
        """Every layer whose path matches ``path`` (any method), in registration order, as
        ``(ordinal, alternative, layer, raw captures, their names)``."""
        out: list[Hit] = []
        trees = self._trees
        if trees and path[:1] == "/":
            # segs[0] is the "" before the leading "/": the walk starts at 1.
            segs = path.split("/")
            n = len(segs)
            lowered: list[str] | None = None
            for tree in trees:
                if tree.sensitive:
                    keys = segs
                else:
                    if lowered is None:
                        # lower() never makes or removes a "/", so the segments line up;
                        # islower() (no allocation) settles the usual all-lower-case path.
                        if path.islower() or path == path.lower():
                            lowered = segs
                        else:
                            lowered = path.lower().split("/")
                    keys = lowered
                # One loop, no call per segment: it goes down while the path has a single way
                # on and keeps the other branches (a static child and a parameter edge can both
                # fit) on ``pending``. The order of hits does not matter: they are sorted below.
                node = tree.root
                i = 1
                caps: tuple[str, ...] = ()
                pending: list[tuple[_Node, int, tuple[str, ...]]] | None = None
                while True:
                    if node.prefix:
                        for ordinal, alt, layer, names in node.prefix:
                            out.append((ordinal, alt, layer, caps, names))
                    if i == n:
                        for ordinal, alt, layer, names in node.end:
                            out.append((ordinal, alt, layer, caps, names))
                    else:
                        seg = segs[i]
                        if node.trail and not seg and i == n - 1:
                            for ordinal, alt, layer, names in node.trail:
                                out.append((ordinal, alt, layer, caps, names))
                        if node.wild:
                            tail = "/".join(segs[i:])
                            if tail:
                                for ordinal, alt, layer, names in node.wild:
                                    out.append((ordinal, alt, layer, caps + (tail,), names))  # noqa: RUF005
                        child = node.static.get(keys[i]) if node.static else None
                        params = node.params
                        if params and seg:
                            if child is not None:
                                if pending is None:
                                    pending = []
                                pending.append((child, i + 1, caps))
                            plain = node.plain
                            if plain is not None:
                                node = plain
                                i += 1
                                caps = caps + (seg,)  # noqa: RUF005 (cheaper than unpacking)
                                continue
                            if len(params) == 1:
                                constraint, _source, edge = params[0]
                                if constraint is not None and constraint.fullmatch(seg):
                                    node = edge
                                    i += 1
                                    caps = caps + (seg,)  # noqa: RUF005 (cheaper than unpacking)
                                    continue
                            else:
                                for constraint, _source, edge in params:
                                    if constraint is None or constraint.fullmatch(seg):
                                        if pending is None:
                                            pending = []
                                        pending.append((edge, i + 1, caps + (seg,)))  # noqa: RUF005
                        elif child is not None:
                            node = child
                            i += 1
                            continue
                    if not pending:
                        break
                    node, i, caps = pending.pop()
        if self._padded and out:
            # ctx.captures lists every group of the route's regex, whichever alternative of
            # its optional groups matched: "" for the groups of the other alternatives.
            for k, hit in enumerate(out):
                slots = hit[2].capture_slots
                if slots is not None:
                    before, after = slots[hit[1]]
                    caps = ("",) * before + hit[3] + ("",) * after
                    out[k] = (hit[0], hit[1], hit[2], caps, hit[2].group_names)
        for layer in self._fallback:
            m = layer._match(path)
            if m is not None:
                # A group that took no part is "" in ctx.captures (never None).
                caps = tuple([c or "" for c in m.groups()])
                out.append((layer.ordinal, 0, layer, caps, layer.regex_names))
        if len(out) > 1:
            out.sort(key=_order)
            # A layer matched through several alternatives: the first alternative wins.
            last = -1
            unique: list[Hit] = []
            for hit in out:
                if hit[0] != last:
                    unique.append(hit)
                    last = hit[0]
            return unique
        return out


def _order(hit: Hit) -> tuple[int, int]:
    return hit[0], hit[1]
