from csp.decorators import csp_exempt
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from people.signin import SignIn

admin.site.site_header = "Harbour administration"
admin.site.site_title = "Harbour"

urlpatterns = [
    path("login/", SignIn.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    # The playbook and obligation admin pages moved with their models into the clocks wing: a link or
    # bookmark to where they were still arrives.
    re_path(r"^admin/incidents/(?P<model>playbook|obligation)/(?P<rest>.*)$",
            RedirectView.as_view(url="/admin/clocks/%(model)s/%(rest)s", query_string=True, permanent=True)),
    path("admin/", admin.site.urls),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI and ReDoc start with inline scripts: the only pages outside the Content Security Policy.
    # Like the schema, they are for signed-in staff: a browser that is not signed in is sent to sign in.
    path("api/docs/", login_required(csp_exempt()(SpectacularSwaggerView.as_view(url_name="api-schema"))),
         name="api-docs"),
    path("api/redoc/", login_required(csp_exempt()(SpectacularRedocView.as_view(url_name="api-schema"))),
         name="api-redoc"),
    path("api/", include("incidents.api_urls")),
    path("api/", include("clocks.api_urls")),
    path("api/", include("comms.api_urls")),
    path("api/", include("support.api_urls")),
    path("", include("comms.urls")),
    path("", include("support.urls")),
    path("", include("clocks.urls")),
    path("", include("incidents.urls")),
    path("", include("people.urls")),
]

# Harbour's own error answers: pages in its layout, JSON under /api/ (core/views.py).
handler400 = "core.views.bad_request"
handler403 = "core.views.permission_denied"
handler404 = "core.views.not_found"
handler500 = "core.views.server_error"
