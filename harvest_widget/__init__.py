"""harvest-widget: a desktop tray timer and daily timesheet for Harvest."""

__version__ = "0.1.0"
APP_NAME = "harvest-widget"
PROJECT_URL = "https://github.com/harvest-widget/harvest-widget"
