import pytest

from registry.errors import AlreadyExists, InvalidName, TypeMismatch
from registry.models import CORE_REGISTRIES, AuditEvent, Collection, Membership, Registry


def test_it_creates_the_collection_on_first_link(log, model_registry, alice):
    model, _ = log("zoo-model", {"m.pt": "w"}, type="model")
    membership = Collection.link(model_registry, "zoo-classifier", model, alice, ["staging"])
    collection = Collection.objects.get(registry=model_registry, name="zoo-classifier")
    assert collection.type == "model"
    assert membership.index == 0
    assert sorted(membership.aliases.values_list("name", flat=True)) == ["latest", "staging"]


def test_it_numbers_versions_per_collection(log, model_registry):
    a, _ = log("model-a", {"m": "1"}, type="model")
    b, _ = log("model-b", {"m": "2"}, type="model")
    b2, _ = log("model-b", {"m": "3"}, type="model")
    indexes = [Collection.link(model_registry, "best", v).index for v in (b2, a, b)]
    assert indexes == [0, 1, 2]
    assert b2.version == "v1"  # its own number in its sequence is unchanged


def test_it_links_a_version_once(log, model_registry):
    model, _ = log("m", {"m": "1"}, type="model")
    Collection.link(model_registry, "c", model)
    Collection.link(model_registry, "c", model)
    assert Membership.objects.filter(collection__kind="portfolio").count() == 1


def test_it_audits_links_and_alias_moves_in_order(log, model_registry, alice, bob):
    first, _ = log("m", {"m": "1"}, type="model")
    second, _ = log("m", {"m": "2"}, type="model")
    Collection.link(model_registry, "c", first, alice, ["production"])
    Collection.link(model_registry, "c", second, bob, ["production"])
    collection = Collection.objects.get(name="c")
    events = [
        (e.action, e.alias, e.version_index, e.actor.username)
        for e in AuditEvent.objects.filter(collection=collection).order_by("id")
    ]
    assert events == [
        ("version_linked", "", 0, "alice"),
        ("alias_added", "latest", 0, "alice"),
        ("alias_added", "production", 0, "alice"),
        ("version_linked", "", 1, "bob"),
        ("alias_removed", "latest", 0, "bob"),
        ("alias_added", "latest", 1, "bob"),
        ("alias_removed", "production", 0, "bob"),
        ("alias_added", "production", 1, "bob"),
    ]


def test_it_unlinks_with_aliases_and_latest_falls_back(log, model_registry, alice):
    first, _ = log("m", {"m": "1"}, type="model")
    second, _ = log("m", {"m": "2"}, type="model")
    Collection.link(model_registry, "c", first)
    Collection.link(model_registry, "c", second, aliases=["staging"])
    collection = Collection.objects.get(name="c")
    collection.unlink(second, alice)
    assert list(collection.memberships.values_list("version", flat=True)) == [first.pk]
    assert collection.version_by_alias("latest") == first
    actions = list(
        AuditEvent.objects.filter(collection=collection, actor=alice)
        .order_by("id")
        .values_list("action", "alias")
    )
    assert actions == [
        ("alias_removed", "latest"),
        ("alias_removed", "staging"),
        ("version_unlinked", ""),
        ("alias_added", "latest"),
    ]


def test_it_never_reuses_a_collection_version_number(log, model_registry):
    first, _ = log("m", {"m": "1"}, type="model")
    second, _ = log("m", {"m": "2"}, type="model")
    Collection.link(model_registry, "c", first)
    collection = Collection.objects.get(name="c")
    collection.unlink(first)
    assert Collection.link(model_registry, "c", second).index == 1


def test_it_refuses_types_the_registry_does_not_accept(log, model_registry):
    dataset, _ = log("ds", {"a": "1"})
    with pytest.raises(TypeMismatch, match="does not accept artifacts of type 'dataset'"):
        Collection.link(model_registry, "c", dataset)
    assert not Collection.objects.exists()
    assert not AuditEvent.objects.filter(collection__kind="portfolio").exists()


def test_it_refuses_a_second_type_in_one_collection(log):
    registry = Registry.create("mixed", ["model", "dataset"])
    model, _ = log("m", {"m": "1"}, type="model")
    dataset, _ = log("ds", {"a": "1"})
    Collection.link(registry, "c", model)
    with pytest.raises(TypeMismatch, match="holds 'model' artifacts"):
        Collection.link(registry, "c", dataset)
    assert Collection.objects.get(name="c").memberships.count() == 1


def test_it_refuses_a_link_into_another_registrys_collection(log, model_registry):
    """A collection's name is per registry: "c" of another registry is a new collection,
    which that registry's accepted types refuse."""
    model, _ = log("m", {"m": "1"}, type="model")
    Collection.link(model_registry, "c", model)
    other = Registry.create("datasets", ["dataset"])
    with pytest.raises(TypeMismatch, match="accept"):
        Collection.link(other, "c", model)
    assert not Collection.objects.filter(registry=other).exists()


def test_a_collection_keeps_its_type_when_its_registry_stops_accepting_it(log, model_registry):
    model, _ = log("m", {"m": "1"}, type="model")
    Collection.link(model_registry, "c", model)
    Registry.objects.filter(pk=model_registry.pk).update(accepted_types=["dataset"])
    model_registry.refresh_from_db()
    data, _ = log("d", {"d": "1"}, type="dataset")
    with pytest.raises(TypeMismatch, match="holds 'model' artifacts"):
        Collection.link(model_registry, "c", data)
    collection = Collection.objects.get(registry=model_registry, name="c")
    assert collection.type == "model"
    assert list(collection.memberships.values_list("version", flat=True)) == [model.pk]


def test_it_refuses_invalid_collection_names_and_writes_nothing(log, model_registry):
    model, _ = log("m", {"m": "1"}, type="model")
    with pytest.raises(InvalidName, match="Invalid collection name"):
        Collection.link(model_registry, "bad/name", model)
    assert not Collection.objects.exists()


def test_it_creates_registries_with_validated_types(db):
    with pytest.raises(InvalidName, match="Invalid artifact type"):
        Registry.create("r", ["ok", "not ok"])
    with pytest.raises(InvalidName, match="Invalid registry name"):
        Registry.create("r r", ["model"])
    assert not Registry.objects.exclude(name__in=CORE_REGISTRIES).exists()


def test_it_refuses_a_second_registry_or_collection_of_one_name(model_registry):
    with pytest.raises(AlreadyExists, match="already exists"):
        Registry.create("model", ["model"])
    Collection.create(model_registry, "zoo-classifier", "model")
    with pytest.raises(AlreadyExists, match="already has a collection 'zoo-classifier'"):
        Collection.create(model_registry, "zoo-classifier", "model")
    assert Registry.objects.count() == 2 and Collection.objects.count() == 1


def test_it_refuses_an_unknown_visibility(db):
    with pytest.raises(InvalidName, match="Invalid visibility 'nonsense'"):
        Registry.create("r", ["model"], visibility="nonsense")
    assert not Registry.objects.exclude(name__in=CORE_REGISTRIES).exists()
