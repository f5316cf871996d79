"""Tests of the Yandex Market Partner API emulator."""
