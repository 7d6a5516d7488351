"""Dense embeddings from the OpenAI embeddings API, any server speaking it (``base_url``:
vLLM, Ollama, LiteLLM, ...) or Azure OpenAI.

Retries are ours, not the SDK's (its ``max_retries`` is set to 0): one bounded loop per batch
with the shared policy (:mod:`rag.retry`), full jitter so many workers hitting one rate limit
spread out instead of retrying in lockstep, and ``Retry-After`` as the least wait (a longer one
than ``backoff_max_s`` is cut to it). Rate limits, 5xx and the network raise
:class:`EmbeddingUnavailable` (transient) once the retries are used up; any other refusal
:class:`EmbeddingRequestError` at once.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Sequence

from rag.config import DenseConfig
from rag.embeddings.base import EmbeddingRequestError, EmbeddingUnavailable
from rag.retry import RetryPolicy, retry_after_from_headers

logger = logging.getLogger(__name__)


def retry_policy(config: DenseConfig) -> RetryPolicy:
    """The embedder's retries of one batch: full jitter, up to ``backoff_max_s`` each."""
    return RetryPolicy(
        attempts=config.max_retries,
        base_s=config.backoff_initial_s,
        cap_s=config.backoff_max_s,
        jitter=1.0,
    )


def retry_after_seconds(exc: Exception) -> float | None:
    """The wait the failed answer's headers ask for (see :func:`retry_after_from_headers`)."""
    response = getattr(exc, "response", None)
    return retry_after_from_headers(getattr(response, "headers", None))


class OpenAIEmbedder:
    """:class:`rag.embeddings.base.DenseEmbedder` over the OpenAI (or Azure OpenAI) SDK."""

    def __init__(
        self,
        config: DenseConfig,
        *,
        client=None,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
    ) -> None:
        if not config.model or config.dim <= 0:
            raise ValueError("DenseConfig needs model and dim for an OpenAI embedder")
        self.config = config
        self.model = config.model
        self.dim = config.dim
        self._client = client if client is not None else self._make_client(config)
        self._sleep = sleep
        self._rand = rand
        self._retry = retry_policy(config)

    @staticmethod
    def _make_client(config: DenseConfig):
        import openai

        if config.provider == "azure":
            if not (config.azure_endpoint and config.azure_api_version and config.azure_deployment):
                raise ValueError(
                    "Azure OpenAI needs azure_endpoint, azure_api_version and deployment"
                )
            return openai.AzureOpenAI(
                azure_endpoint=config.azure_endpoint,
                api_version=config.azure_api_version,
                azure_deployment=config.azure_deployment,
                api_key=config.api_key or None,
                timeout=config.timeout_s,
                max_retries=0,
            )
        return openai.OpenAI(
            # local OpenAI-compatible servers often need no key, but the SDK insists on one
            api_key=config.api_key or "unused",
            base_url=config.base_url or None,
            timeout=config.timeout_s,
            max_retries=0,
        )

    @property
    def _request_model(self) -> str:
        # Azure routes by deployment; the model name is only what the deployment serves
        if self.config.provider == "azure":
            return self.config.azure_deployment
        return self.model

    def embed_documents(self, texts: Sequence[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        size = max(1, self.config.batch_size)
        for start in range(0, len(texts), size):
            vectors.extend(self._embed_batch(texts[start : start + size]))
        return vectors

    def embed_query(self, text: str) -> list[float]:
        return self._embed_batch([text])[0]

    def _embed_batch(self, texts: Sequence[str]) -> list[list[float]]:
        import openai

        # the API rejects empty strings; a blank embeds as "nothing" just as well
        inputs = [text if text.strip() else " " for text in texts]
        attempt = 0
        while True:
            try:
                response = self._client.embeddings.create(
                    model=self._request_model,
                    input=inputs,
                    # "float" is what every OpenAI-compatible server understands; base64
                    # (the SDK's default) is not implemented by all of them
                    encoding_format="float",
                )
                return self._vectors(response, len(inputs))
            except (
                openai.RateLimitError,
                openai.InternalServerError,
                openai.APIConnectionError,
            ) as exc:
                attempt += 1
                if not self._retry.allows(attempt):
                    raise EmbeddingUnavailable(
                        f"embedding {self.model!r} failed after {attempt} attempts: {exc}"
                    ) from exc
                wait = self._retry.delay(attempt, retry_after_seconds(exc), self._rand)
                logger.warning(
                    "embedding batch of %s failed (%s), retry %s/%s in %.1fs",
                    len(inputs), type(exc).__name__, attempt, self.config.max_retries, wait,
                )  # fmt: skip
                self._sleep(wait)
            except openai.APIStatusError as exc:
                raise EmbeddingRequestError(
                    f"embedding request for {self._request_model!r} rejected "
                    f"(HTTP {exc.status_code}): {exc}"
                ) from exc

    def _vectors(self, response, expected: int) -> list[list[float]]:
        data = sorted(response.data, key=lambda item: item.index)
        if len(data) != expected:
            raise EmbeddingRequestError(f"asked for {expected} embeddings, got {len(data)}")
        vectors = [list(item.embedding) for item in data]
        for vector in vectors:
            if len(vector) != self.dim:
                raise EmbeddingRequestError(
                    f"{self.model!r} returned {len(vector)} dimensions, configured dim is "
                    f"{self.dim}: fix DenseConfig.dim (it names the collection)"
                )
        return vectors
