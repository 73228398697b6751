"""The lineage benchmark's peers, run in bench/.venv-mlmd (never the app's virtualenv).

    python lineage_peers.py <graph folder> <repeat>

Reads the same CSV graph as the engine and prints one JSON line:
{"networkx": {case: {"times", "bytes"}}, "mlmd": {...}}. One hop is one edge.
"""

import csv
import json
import sys
import time
from functools import partial
from pathlib import Path

import networkx as nx
from ml_metadata import metadata_store
from ml_metadata.proto import metadata_store_pb2 as mlmd

HOPS = (1, 3, 6)


def read(folder, name):
    with open(f"{folder}/{name}", newline="") as stream:
        return list(csv.reader(stream))


def node_key(kind, index):
    return ("a" if kind == "artifact" else "r", index)


def networkx_graph(edges):
    graph = nx.DiGraph()
    for run, version, direction in edges:
        run, version = ("r", int(run)), ("a", int(version))
        graph.add_edge(*((version, run) if direction == "0" else (run, version)))
    return graph


def networkx_case(graph, reverse, start, hops):
    down = nx.single_source_shortest_path_length(graph, start, cutoff=hops)
    up = nx.single_source_shortest_path_length(reverse, start, cutoff=hops)
    nodes = set(down) | set(up)
    return len(json.dumps(sorted(nodes)))


def mlmd_store(folder, versions, runs, edges):
    """Artifacts = versions, executions = runs, INPUT/OUTPUT events = edges. Kept in the
    graph's folder with its ids, so a second run skips the four-minute load."""
    path, ids_path = Path(folder) / "mlmd.sqlite3", Path(folder) / "mlmd-ids.json"
    config = mlmd.ConnectionConfig()
    config.sqlite.filename_uri = str(path)
    config.sqlite.connection_mode = mlmd.SqliteMetadataSourceConfig.READWRITE_OPENCREATE
    if ids_path.exists():
        return metadata_store.MetadataStore(config), *json.loads(ids_path.read_text())
    path.unlink(missing_ok=True)  # a load that did not finish
    store = metadata_store.MetadataStore(config)
    artifact_type = store.put_artifact_type(mlmd.ArtifactType(name="Version"))
    execution_type = store.put_execution_type(mlmd.ExecutionType(name="Run"))
    artifact_ids, execution_ids = [], []
    batch = 20_000
    for start in range(0, len(versions), batch):
        chunk = [
            mlmd.Artifact(type_id=artifact_type, uri=f"v{start + i}")
            for i in range(len(versions[start : start + batch]))
        ]
        artifact_ids += store.put_artifacts(chunk)
    for start in range(0, len(runs), batch):
        chunk = [
            mlmd.Execution(type_id=execution_type, name=f"run-{start + i}")
            for i in range(len(runs[start : start + batch]))
        ]
        execution_ids += store.put_executions(chunk)
    for start in range(0, len(edges), batch):
        store.put_events(
            [
                mlmd.Event(
                    artifact_id=artifact_ids[int(v)],
                    execution_id=execution_ids[int(r)],
                    type=mlmd.Event.INPUT if d == "0" else mlmd.Event.OUTPUT,
                )
                for r, v, d in edges[start : start + batch]
            ]
        )
    ids_path.write_text(json.dumps([artifact_ids, execution_ids]))
    return store, artifact_ids, execution_ids


def mlmd_case(store, kind, mlmd_id, hops):
    size = 0
    for direction in (
        mlmd.LineageSubgraphQueryOptions.UPSTREAM,
        mlmd.LineageSubgraphQueryOptions.DOWNSTREAM,
    ):
        options = mlmd.LineageSubgraphQueryOptions(max_num_hops=hops, direction=direction)
        starting = options.starting_artifacts if kind == "artifact" else options.starting_executions
        starting.filter_query = f"id = {mlmd_id}"
        graph = store.get_lineage_subgraph(options, ["artifacts", "executions", "events"])
        size += graph.ByteSize()
    return size


def timed(function, repeat):
    function()
    function()
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def main():
    folder, repeat = sys.argv[1], int(sys.argv[2])
    versions, runs, edges = (
        read(folder, "versions.csv"),
        read(folder, "runs.csv"),
        read(folder, "edges.csv"),
    )
    bases = json.load(open(f"{folder}/bases.json"))
    graph = networkx_graph(edges)
    reverse = graph.reverse(copy=False)
    started = time.perf_counter()
    store, artifact_ids, execution_ids = mlmd_store(folder, versions, runs, edges)
    print(f"  ML Metadata loaded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    results = {"networkx": {}, "mlmd": {}}
    for label, (kind, index) in bases.items():
        mlmd_id = (artifact_ids if kind == "artifact" else execution_ids)[index]
        for hops in HOPS:
            case = f"{label}|{hops}"
            start = node_key(kind, index)
            size = networkx_case(graph, reverse, start, hops)
            results["networkx"][case] = {
                "times": timed(partial(networkx_case, graph, reverse, start, hops), repeat),
                "bytes": size,
            }
            size = mlmd_case(store, kind, mlmd_id, hops)
            results["mlmd"][case] = {
                "times": timed(partial(mlmd_case, store, kind, mlmd_id, hops), repeat),
                "bytes": size,
            }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
