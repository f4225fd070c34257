//! National interface wire forms.
