// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title Proleptic Gregorian calendar arithmetic on day numbers
/// @notice Converts a day number (days since 1970-01-01, UTC) to year, month and
///         day, so the verifier can check that the three date encodings the circuits
///         use (day number, month index, YYYYMMDD) all name the same day.
/// @dev Works in 400-year eras of exactly 146097 days, starting each year on 1 March
///      so that the leap day is the last day of the shifted year. Every intermediate
///      value is non-negative for day numbers >= 0, so unsigned arithmetic is exact.
library CivilDate {
    uint256 internal constant SECONDS_PER_DAY = 86400;

    /// @dev Days from 0000-03-01 (the start of era 0 in the shifted calendar) to 1970-01-01.
    uint256 private constant EPOCH_SHIFT = 719468;
    uint256 private constant DAYS_PER_ERA = 146097;

    /// @notice Calendar date of day number `dayNumber`.
    /// @return year Full year, e.g. 2025.
    /// @return month 1-12.
    /// @return day 1-31.
    function fromDayNumber(uint256 dayNumber) internal pure returns (uint256 year, uint256 month, uint256 day) {
        uint256 shifted = dayNumber + EPOCH_SHIFT;
        uint256 era = shifted / DAYS_PER_ERA;
        uint256 dayOfEra = shifted - era * DAYS_PER_ERA; // [0, 146096]
        // Remove the leap days accumulated so far in the era, then divide by 365.
        uint256 yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146096) / 365; // [0, 399]
        uint256 dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100); // [0, 365], from 1 March
        uint256 shiftedMonth = (5 * dayOfYear + 2) / 153; // [0, 11], 0 = March
        day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1;
        month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9;
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0);
    }

    /// @notice The three date encodings the circuits take, for day number `dayNumber`.
    /// @return monthIndex year * 12 + (month - 1), the income circuit's `currentMonth`.
    /// @return ymd year * 10000 + month * 100 + day, the identity circuit's `todayYmd`.
    function encodings(uint256 dayNumber) internal pure returns (uint256 monthIndex, uint256 ymd) {
        (uint256 year, uint256 month, uint256 day) = fromDayNumber(dayNumber);
        monthIndex = year * 12 + (month - 1);
        ymd = year * 10000 + month * 100 + day;
    }
}
