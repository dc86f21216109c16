"""What a chat message asks for: titles liked or disliked, constraints set or lifted, and
references to the last answer ("more like the second one", "why the third one?").

Rules read every message (``rules.parse_rules``: a few recognizers and one combiner); the LLM
may add to them (``model.parse_with_model``), but only what the message itself supports.
"""

from recommender.conversation.reading.model import (merge_model_reply, parse_with_model,
                                                    request_schema)
from recommender.conversation.reading.request import Request
from recommender.conversation.reading.rules import genre_words, parse_rules

__all__ = ["Request", "parse_rules", "parse_with_model", "request_schema", "genre_words",
           "merge_model_reply"]
