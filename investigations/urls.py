from django.urls import path

from . import views

app_name = "investigations"
urlpatterns = [
    path("", views.investigation_list, name="list"),
    path("new/", views.investigation_create, name="create"),
    path("<int:pk>/", views.investigation_detail, name="detail"),
    path("<int:pk>/cancel/", views.investigation_cancel, name="cancel"),
    path("<int:pk>/start/", views.investigation_start, name="start"),
]
