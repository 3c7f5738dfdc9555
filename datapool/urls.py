"""Pages of the dataset pool (server-rendered, login required), mounted under /pool/."""
from django.urls import path

from datapool import import_views, views

urlpatterns = [
    path("", views.pool_index, name="pool"),
    path("<int:pk>/", views.dataset_detail, name="pool-dataset-detail"),
    path("<int:pk>/card/", import_views.card_edit, name="pool-card-edit"),
    path("import/", import_views.import_new, name="pool-import-new"),
    path("imports/<int:pk>/", import_views.import_detail, name="pool-import-detail"),
]
