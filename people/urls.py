from django.urls import path

from . import views

urlpatterns = [
    path("people/search/", views.staff_search, name="staff-search"),
]
