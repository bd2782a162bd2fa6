"""The JSON API under /api/, with OpenAPI docs at /api/docs (django-ninja)."""

from csp.decorators import csp_update
from ninja import NinjaAPI

from api.errors import install_error_handlers
from api.routes import find_me, galleries, images, rekognition

DESCRIPTION = """\
Eventgallery's JSON API: the original service's routes, and galleries, photos and Find me.

Writes need an organizer's API key: `Authorization: Bearer <key>` (create one in the admin,
or with `python manage.py create_api_key <username>`). A key reaches its organizer's
galleries only (a superuser's key reaches all). Without a key, reads see the public,
published galleries. Every failure answers `{"error": {"code": ..., "message": ...}}`.
"""

api = NinjaAPI(
    title="Eventgallery API",
    version="1.0",
    description=DESCRIPTION,
    urls_namespace="api",
    # Swagger UI's stylesheet draws its icons from data: URLs; no other page needs them.
    docs_decorator=csp_update({"img-src": ["data:"]}),
)
install_error_handlers(api)
api.add_router("/gallery/", galleries.router)
api.add_router("/gallery/", find_me.router)
api.add_router("/image/", images.router)
api.add_router("/files/", images.files_router)
api.add_router("/rekognition/", rekognition.router)
