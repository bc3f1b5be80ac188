from rest_framework.routers import DefaultRouter

from marketdata.api.views import BarViewSet, InstrumentViewSet

router = DefaultRouter()
router.register("instruments", InstrumentViewSet)
router.register("bars", BarViewSet)
urlpatterns = router.urls
