// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

/// @title TEST DOUBLE: Groth16 verifier with a settable answer
/// @notice Lets the ZKCreditVerifier's non-cryptographic checks be tested in
///         milliseconds. NEVER deploy outside tests: with `answer = true` it accepts
///         any proof.
contract MockGroth16Verifier {
    /// @notice What `verifyProof` returns (or, with `shouldRevert`, that it reverts).
    bool public answer = true;
    bool public shouldRevert;

    /// @notice Set the canned answer.
    function setAnswer(bool answer_, bool shouldRevert_) external {
        answer = answer_;
        shouldRevert = shouldRevert_;
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[9] calldata)
        external
        view
        returns (bool)
    {
        return _answer();
    }

    function verifyProof(uint256[2] calldata, uint256[2][2] calldata, uint256[2] calldata, uint256[10] calldata)
        external
        view
        returns (bool)
    {
        return _answer();
    }

    function _answer() private view returns (bool) {
        require(!shouldRevert, "mock revert");
        return answer;
    }
}
