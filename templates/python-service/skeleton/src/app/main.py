"""${{ values.name }} HTTP service."""

from fastapi import FastAPI

SERVICE_NAME = ${{ values.name | dump }}
DESCRIPTION = ${{ values.description | dump }}

app = FastAPI(title=SERVICE_NAME, description=DESCRIPTION)


@app.get("/health")
def health() -> dict:
    """Liveness: answers as long as the process serves requests."""
    return {"status": "ok"}


@app.get("/")
def info() -> dict:
    return {
        "service": SERVICE_NAME,
        "description": DESCRIPTION,
        "baseImage": ${{ values.runtimeImage | dump }},
    }
