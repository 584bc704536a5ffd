from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("investigations", views.InvestigationViewSet, basename="investigation")

urlpatterns = [
    path("", include(router.urls)),
    path("tasks/<str:task_id>/", views.task_status, name="task-status"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
]
