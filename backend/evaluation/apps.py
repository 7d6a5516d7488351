from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    name = "backend.evaluation"
    label = "evaluation"
    verbose_name = _("Evaluation")

    def ready(self) -> None:
        from backend.evaluation.hooks import evaluate_after_crawl
        from backend.sources.signals import crawl_ended

        crawl_ended.connect(evaluate_after_crawl, dispatch_uid="evaluation-after-crawl")
