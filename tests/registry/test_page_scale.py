"""Pages that stay fast on a large database (bench/pages_bench.py measures them): counts
by correlated subqueries, long lists paginated. These tests check the answers."""

from registry import models, views
from registry.models import Project, Registry


def test_it_counts_each_project_and_registry_on_its_own(build, alice, client):
    one, two = build.art("one"), build.art("two", type="model")
    build.art("one")  # a second version of `one`: still two sequences
    for i in range(3):
        build.run(f"run-{i}", uses=[one])
    build.link("model", "models", two)
    build.link("model", "models", build.art("two", type="model"))
    build.link("model", "more", two)
    Project.get_or_create_path("acme", "empty")
    counts = {p.name: (p.run_count, p.sequence_count) for p in Project.objects.with_counts()}
    assert counts == {"zoo": (3, 2), "empty": (0, 0)}
    model = Registry.objects.with_counts().get(name="model")
    assert (model.collection_count, model.version_count) == (2, 3)
    client.force_login(alice)
    page = client.get("/").content.decode()
    assert "2 collections · 3 linked versions" in page
    assert "2 artifacts</a>" in page and "3 runs</a>" in page


def test_a_version_page_names_its_first_runs_and_counts_the_rest(build, alice, client):
    hub = build.art("hub")
    for i in range(23):
        build.run(f"reader-{i}", uses=[hub])
    client.force_login(alice)
    page = client.get("/acme/zoo/artifacts/dataset/hub/v0/").content.decode()
    assert page.count('">reader-') == 20
    assert "and 3 more" in page


def test_a_projects_artifacts_come_a_page_at_a_time_by_type_and_name(
    build, alice, client, monkeypatch
):
    monkeypatch.setattr(views, "SEQUENCES_SHOWN", 2)
    build.art("b-model", type="model")
    build.art("a-data")
    build.art("a-data")
    build.art("c-data")
    client.force_login(alice)
    first = client.get("/acme/zoo/artifacts/").content.decode()
    assert 'a-data</a> <span class="muted">2 versions' in first and "c-data" in first
    assert "b-model" not in first and "Page 1<" in first and "Next" in first  # not counted
    second = client.get("/acme/zoo/artifacts/?page=2").content.decode()
    assert 'b-model</a> <span class="muted">1 version<' in second and "a-data" not in second


def test_a_collections_versions_come_a_page_at_a_time(build, alice, client, monkeypatch):
    monkeypatch.setattr(views, "VERSIONS_SHOWN", 2)
    for i in range(3):
        build.link("model", "models", build.art("m", type="model"), aliases=[f"a{i}"])
    client.force_login(alice)
    first = client.get("/registry/model/models/").content.decode()
    row = '<td><a href="/registry/model/models/v0/">v0</a></td>'  # in the versions table
    assert "Page 1 of 2" in first and row not in first
    assert 'aria-current="true"' in first  # latest, v2, is on the first page
    assert "a0" in first  # the aliases table names every alias, on any page
    oldest = client.get("/registry/model/models/v0/?page=1").content.decode()
    assert '<option value="v0" selected>' in oldest  # the current version stays pickable
    second = client.get("/registry/model/models/?page=2").content.decode()
    assert row in second


def test_a_projects_runs_count_up_to_a_cap_and_page_without_a_total(
    build, alice, client, monkeypatch
):
    monkeypatch.setattr(models, "COUNTED_UP_TO", 2)
    monkeypatch.setattr(views, "RUNS_A_PAGE", 2)
    for i in range(3):
        build.run(f"run-{i}")
    assert Project.objects.with_counts().get(name="zoo").run_count == 3  # the cap, plus one
    client.force_login(alice)
    assert "2+ runs</a>" in client.get("/").content.decode()
    first = client.get("/acme/zoo/runs/").content.decode()
    assert "run-2<" in first and "run-0<" not in first  # newest first
    assert "Page 1<" in first and "Next" in first
    second = client.get("/acme/zoo/runs/?page=2").content.decode()
    assert "run-0<" in second and "Next" not in second and "Previous" in second
    assert "run-2<" in client.get("/acme/zoo/runs/?page=x").content.decode()  # the first


def test_a_versions_shown_runs_are_its_newest_producers_and_consumers_it_may_see(build, alice):
    from django.contrib.auth import get_user_model

    outsider = get_user_model().objects.create_user("outsider")
    writer = build.run("writer", job_type="prep")
    data = build.art("data", run=writer)
    readers = [build.run(f"reader-{i}", uses=[data]) for i in range(3)]
    build.run("elsewhere", uses=[build.art("other")])
    Direction = models.LineageEdge.Direction
    assert data.runs_shown(Direction.LOGS, alice, 20, 1000) == ([writer], 1, False)
    assert data.runs_shown(Direction.USES, alice, 2, 1000) == (readers[:0:-1], 3, False)
    assert data.runs_shown(Direction.USES, alice, 20, 2) == (readers[:0:-1], 2, True)
    assert data.runs_shown(Direction.USES, outsider, 20, 1000) == ([], 0, False)  # acme's
    # A run alice may not see among the newest: all counted, so its number never shows.
    hidden = models.Run.objects.create(project=Project.get_or_create_path("other", "secret"))
    hidden.use_version(data)
    assert data.runs_shown(Direction.USES, alice, 20, 2) == (readers[::-1], 3, False)
    assert data.runs_shown(Direction.USES, outsider, 20, 2) == ([], 0, False)


def test_a_version_page_counts_a_hubs_consumers_up_to_a_cap(build, alice, client, monkeypatch):
    monkeypatch.setattr(views, "RUNS_COUNTED", 22)
    hub = build.art("hub")
    for i in range(23):
        build.run(f"reader-{i}", uses=[hub])
    client.force_login(alice)
    page = client.get("/acme/zoo/artifacts/dataset/hub/v0/").content.decode()
    assert ">reader-22<" in page and ">reader-2<" not in page  # the newest first
    assert "and 2+ more" in page  # 22 looked at, 20 named


def test_memberships_leave_deleted_versions_out_and_a_collection_pages_newest_first(
    build, alice, client, monkeypatch
):
    monkeypatch.setattr(views, "VERSIONS_SHOWN", 2)
    versions = [build.art("m", type="model") for _ in range(4)]
    for version in (versions[0], versions[2], versions[3]):
        build.link("model", "models", version)
    versions[1].delete_by(alice)  # never linked: deletable
    sequence = models.ArtifactSequence.objects.get(name="m")
    assert [m.index for m in sequence.memberships.order_by("-index")] == [3, 2, 0]
    assert models.Membership._base_manager.filter(collection=sequence).count() == 4
    client.force_login(alice)
    first = client.get("/registry/model/models/").content.decode()
    assert "Page 1 of 2" in first and ">v2</a></td>" in first and ">v1</a></td>" in first
    second = client.get("/registry/model/models/?page=2").content.decode()
    assert ">v0</a></td>" in second and ">v2</a></td>" not in second
