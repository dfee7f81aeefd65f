from django.apps import AppConfig


class TeamleadConfig(AppConfig):
    name = "teamlead"
    verbose_name = "Teamlead"
