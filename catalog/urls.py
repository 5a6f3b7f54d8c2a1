"""URL routes of the catalog app."""

urlpatterns = []
