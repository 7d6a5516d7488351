"""Turning retrieved chunks into a cited answer: prompt, LLM streaming, extractive fallback."""
