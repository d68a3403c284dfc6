from django.urls import path

from . import views

urlpatterns = [path("support/requests/", views.support_requests, name="support-requests")]
