"""A wide view's stages on arrays: what engine.py does with dicts after the walk (access,
filters, bridge, clusters, bound, the bound markers' counts), for a walk on the index
(index.py) that had a wide hop, with the same answers: every engine test runs both
ways (tests/lineage/conftest.py). A hub dataset's 3-hop view holds 61,094 nodes, and a
Python step per node in each stage was most of its time; here each stage is a few
numpy calls whatever the number of nodes, and Python works only on what is distinct
(job types, sequences, info rows) or shown.

Nodes are positions 0..n-1, 0 the base, with their key (lineage.keys) and level and what
the stages need of them, read from the index (the walk's rows came from it): job type
(its number in index.job_names), project (runs), sequence, generated, deleted
(versions). Edges are arrays of (source position, target position, kind number).
"""

import numpy as np

from . import access, rules
from .keys import node_id
from .sql import LOGS, USES

KINDS = (USES, LOGS, "path")  # an edge's kind by number
PATH = 2
LOCKED = -1  # the group number of a placeholder (access.LOCKED_GROUP)
SEVERAL = -(1 << 40)  # anchor numbers at and below this: several neighbours, joined


class Frame:
    """The walk of `graph` (engine.Graph, sequences loaded) as arrays; after bound(), a
    Graph's small lookups (`levels`, `info`) for what the answer shows."""

    def __init__(self, graph):
        self.graph, self.base, self.index = graph, graph.base, graph.index
        self.sequences, self.projects, self.attrs = graph.sequences, graph.projects, graph.attrs
        self.truncated = graph.truncated
        self.levels, self.info = {}, {}  # of what is shown: bound()
        self.locked = None  # placeholders' mask: mask()
        self.one_sequences = {}  # version cluster id -> whether one sequence: cluster()
        self.idents, self.numbers, self.members_of = [], {}, {}  # of clusters: cluster()
        dicts, hops = graph._levels, graph.pending
        self.key = np.concatenate(
            [np.fromiter(dicts, np.int64, len(dicts))] + [h.keys for h in hops]
        )
        self.level = np.concatenate(
            [np.fromiter(dicts.values(), np.int64, len(dicts))]
            + [np.full(len(h.keys), h.level, dtype=np.int64) for h in hops]
        )
        self.n = n = len(self.key)
        self.run = (self.key & 1).astype(bool)
        self.run[0] = False  # the base is judged by nothing below: neither kind's columns
        self.version = ~self.run
        self.version[0] = False
        self._columns()
        self.position = np.full(int(self.key.max()) + 1, -1, dtype=np.int64)
        self.position[self.key] = np.arange(n)
        self._edges(graph._edges, hops)
        self.cluster_of = np.full(n, -1, dtype=np.int64)  # position -> cluster number

    def _columns(self):
        index, pk = self.index, self.key >> 1
        runs, versions = pk[self.run], pk[self.version]
        self.job = np.full(self.n, -1, dtype=np.int64)
        self.job[self.run] = index.job_codes[runs]
        self.project = np.full(self.n, -1, dtype=np.int64)
        self.project[self.run] = index.run_projects[runs]
        self.sequence = np.full(self.n, -1, dtype=np.int64)
        self.sequence[self.version] = index.sequences[versions]
        self.generated = np.zeros(self.n, dtype=bool)
        self.deleted = np.zeros(self.n, dtype=bool)
        flags = index.flags[versions]
        self.generated[self.version], self.deleted[self.version] = flags[:, 0], flags[:, 1]

    def _edges(self, written, hops):
        """The walk's edges as positions, each once: two hops meet the same edge only
        where one met a node met before (a cycle)."""
        kind_of = {kind: number for number, kind in enumerate(KINDS)}
        sources = [np.fromiter((e[0] for e in written), np.int64, len(written))]
        targets = [np.fromiter((e[1] for e in written), np.int64, len(written))]
        kinds = [np.fromiter((kind_of[e[2]] for e in written), np.int64, len(written))]
        for hop in hops:
            sources.append(hop.sources)
            targets.append(hop.targets)
            kinds.append(np.full(len(hop.sources), kind_of[hop.way], dtype=np.int64))
        source, target = (self.position[np.concatenate(a)] for a in (sources, targets))
        kind = np.concatenate(kinds)
        if self.graph._regular and not any(hop.met_before for hop in hops):
            self.source, self.target, self.kind = source, target, kind  # each edge met once
            return
        codes = np.unique((source * self.n + target) * 3 + kind)
        self.source, self.target, self.kind = codes // 3 // self.n, codes // 3 % self.n, codes % 3

    # ---- access and filters -------------------------------------------------------------

    def keys(self):
        return self.key.tolist()

    def _rows(self):
        """(positions, their info rows' codes, {code: row}) of runs, then of versions: a
        Graph's info rows, (job type, project) and (sequence, generated, deleted)."""
        names, runs = self.index.job_names, np.flatnonzero(self.run)
        projects = int(self.project.max(initial=0)) + 1
        codes = self.job[runs] * projects + self.project[runs]
        rows = {c: (names[c // projects], c % projects) for c in _distinct(codes).tolist()}
        yield runs, codes, rows
        versions = np.flatnonzero(self.version)
        codes = (self.sequence[versions] * 2 + self.generated[versions]) * 2 + self.deleted[
            versions
        ]
        rows = {c: (c >> 2, bool(c & 2), bool(c & 1)) for c in _distinct(codes).tolist()}
        yield versions, codes, rows

    def info_rows(self):
        """The distinct info rows of the walk's nodes (access.hidden_in)."""
        return {row for _, _, rows in self._rows() for row in rows.values()}

    def keys_outside(self, rows):
        """The keys of the nodes, base aside, whose info row is not among `rows`."""
        out = np.zeros(self.n, dtype=bool)
        for positions, codes, found in self._rows():
            outside = [code for code, row in found.items() if row not in rows]
            out[positions] = np.isin(codes, outside)
        return self.key[out].tolist()

    def removed(self, view, hidden):
        """The mask of the nodes the view's filters remove, placeholders (`hidden`) aside;
        each distinct row judged once by rules.keeps, as engine.filtered_out does."""
        removed = np.zeros(self.n, dtype=bool)
        names, runs, versions = self.index.job_names, self.run, self.version
        codes = self.job[runs]
        judged = {c: rules.keeps(1, (names[c],), view, None) for c in _distinct(codes).tolist()}
        removed[runs] = _looked_up(codes, judged, False)
        codes = self.sequence[versions] * 2 + self.generated[versions]
        judged = {
            c: rules.keeps(0, (c >> 1, bool(c & 1)), view, self.sequences)
            for c in _distinct(codes).tolist()
        }
        removed[versions] = _looked_up(codes, judged, False)
        removed[self.positions_of(hidden)] = False
        return removed

    def positions_of(self, keys):
        """The positions of those of `keys` the walk met."""
        keys = np.fromiter(keys, np.int64, len(keys))
        keys = keys[(keys >= 0) & (keys < len(self.position))]
        positions = self.position[keys]
        return positions[positions >= 0]

    def mask(self, hidden):
        """As access.mask: placeholders group with placeholders only."""
        self.locked = np.zeros(self.n, dtype=bool)
        self.locked[self.positions_of(hidden)] = True

    # ---- bridge and clusters ------------------------------------------------------------

    def bridge(self, removed):
        """As engine.bridge: the edges between kept nodes, plus a "path" edge wherever
        kept nodes were joined only through removed ones; kept as the frame's edges."""
        source, target, kind = self.source, self.target, self.kind
        kept = ~removed
        real = kept[source] & kept[target]
        paths = [np.empty(0, dtype=np.int64)]
        if removed.any():
            onward = removed[source]  # only edges leaving removed nodes continue a path
            out_source, out_target = source[onward], target[onward]
            order = np.argsort(out_source, kind="stable")
            out_source, out_target = out_source[order], out_target[order]
            into = kept[source] & removed[target]
            start, node = source[into], target[into]
            seen = np.unique(start * self.n + node)
            while len(start):
                begin = np.searchsorted(out_source, node)
                counts = np.searchsorted(out_source, node, side="right") - begin
                offsets = np.repeat(begin - np.cumsum(counts) + counts, counts)
                far = out_target[offsets + np.arange(offsets.size)]
                start = np.repeat(start, counts)
                done = kept[far]
                joined = done & (far != start)
                paths.append(start[joined] * self.n + far[joined])
                codes = np.unique(start[~done] * self.n + far[~done])
                codes = codes[~np.isin(codes, seen)]
                seen = np.union1d(seen, codes)
                start, node = codes // self.n, codes % self.n
        path = np.unique(np.concatenate(paths))
        self.source = np.concatenate([source[real], path // self.n])
        self.target = np.concatenate([target[real], path % self.n])
        self.kind = np.concatenate([kind[real], np.full(len(path), PATH, dtype=np.int64)])
        self.kept = kept

    def cluster(self, extracted):
        """As engine.cluster, from the bridged edges: self.cluster_of (position -> cluster
        number, -1 none), self.idents (cluster number -> id); {cluster id: its keys}."""
        level = self.level
        far, near = self._nearer()
        counts = np.bincount(far, minlength=self.n)
        order = np.argsort(far, kind="stable")
        first = np.full(self.n, -1, dtype=np.int64)
        first[far[order]] = near[order]  # of a node with one such neighbour: it
        several = (near[order], np.concatenate([[0], np.cumsum(counts)]))  # all of them
        candidates = self.kept & (level != 0)
        candidates[self.positions_of(extracted)] = False
        groups = self._groups()
        positions = np.flatnonzero(candidates)
        by_level = positions[np.lexsort((level[positions], np.abs(level[positions])))]
        for at in np.split(by_level, np.flatnonzero(np.diff(level[by_level])) + 1):
            if len(at):  # outward from the base: a level's anchors are clustered already
                self._cluster_level(at, counts, first, several, groups, self.members_of)
        return self.members_of

    def _nearer(self):
        """(far, near) positions of each edge between levels of different distance: the
        node farther from the base and its neighbour nearer it (engine._neighbours)."""
        a, b = np.abs(self.level[self.source]), np.abs(self.level[self.target])
        differ = a != b
        farther = (a > b)[differ]
        source, target = self.source[differ], self.target[differ]
        return np.where(farther, source, target), np.where(farther, target, source)

    def _groups(self):
        """(group number, as a version's when its neighbour is a cluster, the values):
        runs by job type, versions by sequence or, beside a cluster, by type."""
        group = np.where(self.run, self.job, self.sequence)
        type_names = sorted({type_ for type_, _ in self.sequences.values()})
        number_of = {name: -(i + 2) for i, name in enumerate(type_names)}
        sequences = np.unique(self.sequence[self.version])
        by_type = np.zeros(int(sequences.max(initial=0)) + 1, dtype=np.int64)
        by_type[sequences] = [number_of[self.sequences[pk][0]] for pk in sequences.tolist()]
        beside = np.where(self.version, by_type[np.maximum(self.sequence, 0)], group)
        if self.locked is not None:
            group, beside = (
                np.where(self.locked, LOCKED, group),
                np.where(self.locked, LOCKED, beside),
            )
        values = {-(i + 2): "type:" + name for i, name in enumerate(type_names)}
        return group, beside, values

    def _cluster_level(self, at, counts, first, several, groups, members_of):
        """Cluster the nodes `at` (one level): engine.cluster's groups of one level."""
        group_of, beside_of, values = groups
        cluster_of, single = self.cluster_of, counts[at] == 1
        near = first[at]
        in_cluster = single & (cluster_of[np.maximum(near, 0)] >= 0)
        anchor = np.where(in_cluster, -1 - cluster_of[np.maximum(near, 0)], self.key[near])
        joined = {}  # anchor text of several neighbours -> its number
        for i in np.flatnonzero(~single).tolist():
            text, clustered = self._joined(at[i], several)
            if text in self.numbers:  # all in one cluster: that cluster's group, as a text
                anchor[i] = -1 - self.numbers[text]
            else:
                anchor[i] = joined.setdefault(text, SEVERAL - len(joined))
            in_cluster[i] = clustered
        group = np.where(in_cluster, beside_of[at], group_of[at])
        kind = self.run[at].astype(np.int64)
        order = np.lexsort((anchor, group, kind))
        kind, group, anchor = kind[order], group[order], anchor[order]
        edges = np.flatnonzero(
            (np.diff(kind) != 0) | (np.diff(group) != 0) | (np.diff(anchor) != 0)
        )
        bounds = np.concatenate([[0], edges + 1, [len(at)]])
        texts = {number: text for text, number in joined.items()}
        level = int(self.level[at[0]])
        for begin, end in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            if end - begin < rules.CLUSTER_MIN:
                continue
            members = at[order[begin:end]]
            value = self._anchor_value(int(anchor[begin]), texts)
            ident = rules.cluster_id(
                level,
                int(kind[begin]),
                self._group_value(int(kind[begin]), int(group[begin]), values),
                value,
            )
            cluster_of[members] = self.numbers[ident] = len(self.idents)
            self.idents.append(ident)
            keys = np.sort(self.key[members])
            members_of[ident] = keys.tolist()
            if not kind[begin]:
                self.one_sequences[ident] = len(np.unique(self.sequence[members])) == 1

    def _joined(self, position, several):
        """(anchor text, whether any is in a cluster) of a node with several (or no)
        neighbours nearer the base, as engine.cluster joins them."""
        near, starts = several
        neighbours = near[starts[position] : starts[position + 1]].tolist()
        clusters = self.cluster_of
        names = {
            self.idents[clusters[n]] if clusters[n] >= 0 else node_id(int(self.key[n]))
            for n in neighbours
        }
        return ",".join(sorted(names)), any(clusters[n] >= 0 for n in neighbours)

    def _anchor_value(self, number, texts):
        if number >= 0:
            return number  # a node's key
        if number <= SEVERAL:
            return texts[number]
        return self.idents[-1 - number]

    def _group_value(self, kind, number, values):
        if number == LOCKED:
            return access.LOCKED_GROUP
        if kind:
            return self.index.job_names[number]
        return values.get(number, number)  # "type:<type>", or a sequence pk

    # ---- bound ----------------------------------------------------------------------------

    def bound(self, limit):
        """As engine.bound without grown markers: (shown elements, the edges between them
        with clusters collapsed, whether any element was left out)."""
        singles = np.flatnonzero(self.kept & (self.cluster_of < 0))
        count = len(singles) + len(self.idents)
        cluster_levels = self.level[self._first_members()]
        levels = np.concatenate([self.level[singles], cluster_levels])
        texts = np.concatenate(
            [self.key[singles].astype("U24"), np.array(self.idents, dtype="U24")]
        )
        order = np.lexsort((texts, levels, np.abs(levels)))
        shown = np.zeros(count, dtype=bool)
        shown[order[:limit]] = True
        shown[0] = True  # the base: position 0, the first single
        element = np.full(self.n, -1, dtype=np.int64)
        element[singles] = np.arange(len(singles))
        clustered = self.cluster_of >= 0
        element[clustered] = len(singles) + self.cluster_of[clustered]
        values = self.key[singles].tolist() + self.idents
        self.elements = (element, shown, levels, values, len(singles))
        edges = self._collapsed(element, shown, values)
        visible = [values[i] for i in np.flatnonzero(shown).tolist()]
        shown_clusters = [self.idents[i] for i in np.flatnonzero(shown[len(singles) :]).tolist()]
        self._lookups(singles[shown[: len(singles)]], shown_clusters)
        return set(visible), edges, int(shown.sum()) < count

    def _first_members(self):
        first = np.full(len(self.idents), self.n, dtype=np.int64)
        clustered = np.flatnonzero(self.cluster_of >= 0)
        np.minimum.at(first, self.cluster_of[clustered], clustered)
        return first

    def _collapsed(self, element, shown, values):
        source, target = element[self.source], element[self.target]
        joined = (source != target) & shown[source] & shown[target]
        count = len(values)
        codes = np.unique((source[joined] * count + target[joined]) * 3 + self.kind[joined])
        pairs = zip(
            (codes // 3 // count).tolist(),
            (codes // 3 % count).tolist(),
            (codes % 3).tolist(),
            strict=True,
        )
        return {(values[s], values[t], KINDS[k]) for s, t, k in pairs}

    def _lookups(self, singles, clusters):
        """`levels` and `info` of the shown singles and of the shown clusters' first
        members (their keys sorted), as a Graph has them (render, markers)."""
        names = self.index.job_names
        first = [int(self.position[self.members_of[ident][0]]) for ident in clusters]
        for position in singles.tolist() + first:
            key = int(self.key[position])
            self.levels[key] = int(self.level[position])
            if self.run[position]:
                self.info[key] = (names[self.job[position]], int(self.project[position]))
            elif self.version[position]:
                self.info[key] = (
                    int(self.sequence[position]),
                    bool(self.generated[position]),
                    bool(self.deleted[position]),
                )

    def type_of(self, key):
        return self.sequences[self.info[key][0]][0]

    def one_sequence(self, ident, keys):
        return self.one_sequences[ident]

    # ---- markers --------------------------------------------------------------------------

    def bound_cuts(self):
        """For engine.bound_markers, after bound(): {level: its left-out elements} and
        {level: {shown element: edges joining it to left-out elements of that level}}
        for the nearest cut level of each side, and {level: elements shown there}."""
        element, shown, levels, values, _ = self.elements
        left_out = np.flatnonzero(~shown)
        if not len(left_out):
            return {}, {}, {}
        cuts = {}
        for level in np.unique(levels[left_out]).tolist():
            side = level > 0
            if side not in cuts or abs(level) < abs(cuts[side]):
                cuts[side] = level
        at_cut = ~shown & np.isin(levels, list(cuts.values()))
        left = {level: [] for level in cuts.values()}
        for i in np.flatnonzero(at_cut).tolist():
            left[int(levels[i])].append(values[i])
        joined = {level: {} for level in cuts.values()}
        source, target = element[self.source], element[self.target]
        for out, anchor in ((source, target), (target, source)):
            counted = at_cut[out] & shown[anchor] & (np.abs(levels[anchor]) < np.abs(levels[out]))
            pairs, counts = np.unique(
                np.stack([levels[out][counted], anchor[counted]], axis=1),
                axis=0,
                return_counts=True,
            )
            for (level, i), n in zip(pairs.tolist(), counts.tolist(), strict=True):
                found = joined[level]
                found[values[i]] = found.get(values[i], 0) + n
        showing = {level: int((shown & (levels == level)).sum()) for level in cuts.values()}
        return left, joined, showing

    def pks_beside(self, runs, side):
        """The pks of the nodes of the other kind than `runs` on `side` (-1, 1) or the base."""
        other = (self.key & 1) != runs
        return (self.key[other & (self.level * side >= 0)] >> 1).tolist()

    def met(self, keys):
        """Those of `keys` the walk met."""
        return set(self.key[self.positions_of(keys)].tolist())


def _distinct(codes):
    """The distinct values of `codes` (non-negative ints): from a presence table where
    their range is small (no sort), else np.unique."""
    if _wide(codes):
        return np.unique(codes)
    present = np.zeros(int(codes.max(initial=0)) + 1, dtype=bool)
    present[codes] = True
    return np.flatnonzero(present)


def _looked_up(codes, values, wanted):
    """For each code, whether values[code] is `wanted` (values: {code: bool})."""
    chosen = [c for c, v in values.items() if v is wanted]
    if _wide(codes):
        return np.isin(codes, chosen)
    table = np.zeros(int(codes.max(initial=0)) + 1, dtype=bool)
    table[chosen] = True
    return table[codes]


def _wide(codes):
    """Whether a table as long as the codes' range would be large beside them."""
    return len(codes) and int(codes.max()) > 8 * len(codes) + 4096
