"""POST bodies as the charter's edit forms send them."""


def retros_post(*, version: int = 0, **overrides) -> dict:
    data = {
        "version": str(version),
        "every_weeks": "3",
        "weekday": "4",
        "start_time": "10:30",
        "time_zone": "Europe/Berlin",
        "duration_minutes": "45",
        "notes": "Bring one thing that went well.",
        "message": "Fewer, longer retros",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return data


def rows_post(rows: list[dict], *, version: int = 0, message: str = "", extra_blank: int = 2):
    data = {
        "version": str(version),
        "message": message,
        "rows-TOTAL_FORMS": str(len(rows) + extra_blank),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "50",
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{i}-{key}"] = value
    return data
