"""Stand-in of ``lms.djangoapps.instructor_analytics.csvs`` for tests."""


def format_dictlist(dictlist, features):
    """
    Return ``(header, datarows)`` of a list of dicts: the header is ``features`` itself.

    Each row holds the dict's values in the header's order; a dict that lacks a feature gives a
    shorter row (no padding), as in the platform.
    """
    def dict_to_entry(dct):
        relevant_items = [(key, value) for (key, value) in dct.items() if key in features]
        ordered = sorted(relevant_items, key=lambda item: header.index(item[0]))
        return [value for (_, value) in ordered]

    header = features
    datarows = list(map(dict_to_entry, dictlist))
    return header, datarows
