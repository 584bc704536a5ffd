import pytest
from rest_framework.test import APIClient

from tests.factories import UserFactory


@pytest.fixture
def api(db):
    """An API client signed in as an analyst (``api.user``) who is not staff."""
    client = APIClient()
    client.user = UserFactory(username="analyst")
    client.force_authenticate(client.user)
    return client
