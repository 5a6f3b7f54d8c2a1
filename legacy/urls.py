"""URL routes of the legacy app."""

urlpatterns = []
