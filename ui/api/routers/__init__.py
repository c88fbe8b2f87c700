"""One ``APIRouter`` per engine, each with its own prefix and tags."""
