from django.apps import AppConfig


class DemoConfig(AppConfig):
    """No models, views or URLs: the demo book, the volume generators and their commands."""

    name = "demo"
    default_auto_field = "django.db.models.BigAutoField"
