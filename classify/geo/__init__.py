"""Parts of the country tagger: data sources, morphology, matching, context rules, scoring.

The public interface is `classify.countries`; the gazetteer is `classify.gazetteer`.
"""
