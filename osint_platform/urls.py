from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.templatetags.static import static
from django.urls import include, path
from django.views.generic import RedirectView

from maintenance.views import health


class FaviconView(RedirectView):
    """Pages that do not name an icon (the admin's, the browsable API's) ask browsers
    for /favicon.ico: the project's own icon, by its hashed name, read at request time."""

    permanent = False

    def get_redirect_url(self, *args, **kwargs) -> str:
        return static("favicon.svg")


urlpatterns = [
    path("", RedirectView.as_view(pattern_name="investigations:list", permanent=False)),
    path("favicon.ico", FaviconView.as_view()),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("admin/", admin.site.urls),
    path("investigations/", include("investigations.urls")),
    path("reports/", include("reports.urls")),
    path("api/health/", health, name="api-health"),
    path("api/", include("investigations.api.urls")),
]

# Requests Django refuses before a view runs (too large, too many fields) are answered
# in JSON under /api/.
handler400 = "investigations.api.errors.bad_request"
