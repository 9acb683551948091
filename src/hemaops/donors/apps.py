from django.apps import AppConfig


class DonorsConfig(AppConfig):
    name = "hemaops.donors"
    label = "donors"
    verbose_name = "Donors and eligibility"
