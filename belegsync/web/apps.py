from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "belegsync.web"
    label = "web"
