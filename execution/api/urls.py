from rest_framework.routers import DefaultRouter

from execution.api.views import OrderViewSet, PositionViewSet

router = DefaultRouter()
router.register("orders", OrderViewSet)
router.register("positions", PositionViewSet)
urlpatterns = router.urls
