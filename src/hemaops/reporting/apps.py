from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "hemaops.reporting"
    label = "reporting"
    verbose_name = "Dashboards and reports"
