"""URL routes of the orders app."""

urlpatterns = []
