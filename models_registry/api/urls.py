from rest_framework.routers import DefaultRouter

from models_registry.api.views import ModelVersionViewSet, SignalViewSet

router = DefaultRouter()
router.register("versions", ModelVersionViewSet)
router.register("signals", SignalViewSet)
urlpatterns = router.urls
