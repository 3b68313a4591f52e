import pytest

from tests.factories import UserFactory


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(email="boss@shop.example", is_staff=True, is_superuser=True))
    return client
