from fastapi.testclient import TestClient

from app.main import DESCRIPTION, SERVICE_NAME, app

client = TestClient(app)


def test_health():
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_info_names_the_service_and_its_base_image():
    body = client.get("/").json()
    assert body["service"] == SERVICE_NAME == ${{ values.name | dump }}
    assert body["description"] == DESCRIPTION
    assert body["baseImage"] == ${{ values.runtimeImage | dump }}


def test_unknown_path_is_404():
    assert client.get("/nope").status_code == 404
