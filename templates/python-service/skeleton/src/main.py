"""Entry point: serves the app with uvicorn (no shell needed in the runtime image)."""

import os

import uvicorn

from app.main import app

if __name__ == "__main__":
    uvicorn.run(app, host="0.0.0.0", port=int(os.environ.get("PORT", "${{ values.port }}")))
