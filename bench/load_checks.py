"""The load benchmark's set-up and checks, run inside Django by `manage.py shell`."""

import json
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model

from registry.models import (
    Alias,
    ApiKey,
    ArtifactCollection,
    ArtifactVersion,
    AuditEvent,
    Collection,
    Membership,
)


def setup():
    """Print what the clients need: an API key, the collection's versions, lineage bases."""
    demo = get_user_model().objects.get(username="demo")
    classifier = Collection.objects.get(registry__name="model", name="zoo-classifier")
    linked = list(classifier.memberships.values_list("version_id", flat=True))
    hub = ArtifactVersion.objects.filter(sequence__name="split_zoo_dataset")
    nodes = linked + list(hub.values_list("pk", flat=True))
    print(json.dumps({"key": ApiKey.create_for(demo)[1], "linked": linked, "nodes": nodes}))


def check(path):
    """Print each check (name, ok, detail) of the database against what the clients
    logged and moved (JSON at `path`)."""
    with open(path) as stream:
        expected = json.load(stream)
    checks = [
        versions_once(expected["logged"]),
        gapless(expected["logged"]),
        aliases_once(),
        audited(expected["moves"]),
    ]
    print(
        json.dumps([{"name": n, "ok": not problems, "detail": problems} for n, problems in checks])
    )


def versions_once(logged):
    ids = [version["id"] for version in logged]
    stored = set(
        ArtifactVersion.objects.filter(sequence__project__entity="bench").values_list(
            "pk", flat=True
        )
    )
    ok = len(set(ids)) == len(ids) == len(stored) and set(ids) == stored
    detail = f"{len(ids)} logged, {len(set(ids))} distinct, {len(stored)} in the database"
    return "every version logged is there exactly once", "" if ok else detail


def gapless(logged):
    problems = []
    for sequence in ArtifactCollection.objects.filter(kind="sequence", project__entity="bench"):
        numbers = sorted(
            Membership.objects.filter(collection=sequence).values_list("index", flat=True)
        )
        if numbers != list(range(len(numbers))) or sequence.next_index != len(numbers):
            problems.append(f"{sequence.name} has gaps")
        latest = Alias.objects.filter(collection=sequence, name="latest")
        if latest.count() != 1 or latest.get().membership.index != len(numbers) - 1:
            problems.append(f"{sequence.name}:latest is not on the newest version")
    if len({(v["sequence"], v["number"]) for v in logged}) != len(logged):
        problems.append("two writers were answered the same version number")
    return "version numbers gapless, latest on the newest", "; ".join(problems)


def aliases_once():
    held = Counter(Alias.objects.values_list("collection_id", "name"))
    twice = [name for (_, name), count in held.items() if count != 1]
    return "every alias on exactly one version", ", ".join(twice)


def audited(moves):
    """Each move wrote one removal and one addition, and replaying every collection's
    audit events from the start gives its aliases as they are now."""
    problems = []
    for alias, count in moves.items():
        events = AuditEvent.objects.filter(collection__name="zoo-classifier", alias=alias)
        added = events.filter(action="alias_added").count()
        removed = events.filter(action="alias_removed").count()
        if added != count or removed != max(count - 1, 0):
            problems.append(f"{alias}: {count} moves, {added} added, {removed} removed")
    replayed = defaultdict(dict)
    for event in AuditEvent.objects.order_by("id"):
        aliases = replayed[event.collection_id]
        if event.action == "alias_added":
            if event.alias in aliases:
                problems.append(f"{event.alias} added while on a version")
            aliases[event.alias] = event.version_id
        elif event.action == "alias_removed":
            if aliases.pop(event.alias, None) != event.version_id:
                problems.append(f"{event.alias} removed from a version without it")
    actual = defaultdict(dict)
    rows = Alias.objects.values_list("collection_id", "name", "membership__version_id")
    for collection_id, name, version_id in rows:
        actual[collection_id][name] = version_id
    for collection_id in set(actual) | set(replayed):
        if replayed[collection_id] != actual[collection_id]:
            problems.append(f"collection {collection_id}: the audit replay differs")
    return "one audit event per change", "; ".join(problems[:5])
