from django.urls import path

from hemaops.finance import views

app_name = "finance"

urlpatterns = [
    path("trial-balance/", views.trial_balance, name="trial_balance"),
    path("accounts/<int:pk>/", views.account_activity, name="account_activity"),
    path("entries/new/", views.entry_new, name="entry_new"),
    path("entries/pending/", views.entry_pending, name="entry_pending"),
    path("entries/<int:pk>/", views.entry_detail, name="entry_detail"),
    path("entries/<int:pk>/approve/", views.entry_approve, name="entry_approve"),
    path("entries/<int:pk>/reject/", views.entry_reject, name="entry_reject"),
    path("entries/<int:pk>/reverse/", views.entry_reverse, name="entry_reverse"),
    path("periods/", views.period_list, name="period_list"),
    path("periods/<int:pk>/close/", views.period_close, name="period_close"),
    path("periods/<int:pk>/reopen/", views.period_reopen, name="period_reopen"),
]
