"""Pages that stay fast on a large database (bench/pages_bench.py measures them): counts
by correlated subqueries, long lists paginated. These tests check the answers."""

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
