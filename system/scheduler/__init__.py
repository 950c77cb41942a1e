"""The 6-hourly background sync job and the monitor that alerts when it stops succeeding."""
