from registry.models import ApiKey


def test_it_stores_only_a_hash(alice):
    key, raw = ApiKey.create_for(alice)
    assert raw not in (key.hashed, key.prefix)
    assert key.hashed == ApiKey.hash(raw)


def test_it_authenticates_and_revokes(alice):
    key, raw = ApiKey.create_for(alice)
    assert ApiKey.objects.authenticate(raw) == alice
    key.revoke()
    assert ApiKey.objects.authenticate(raw) is None
    assert ApiKey.objects.authenticate("lr-unknown") is None
    assert ApiKey.objects.authenticate("") is None


def test_it_refuses_keys_of_inactive_users(alice):
    _, raw = ApiKey.create_for(alice)
    alice.is_active = False
    alice.save()
    assert ApiKey.objects.authenticate(raw) is None
