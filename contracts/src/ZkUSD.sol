// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Burnable} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Burnable.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title zkUSD — TEST stablecoin for ZKredit demos and tests
/// @notice NEVER deploy this contract in production or on a public mainnet: anyone
///         holding MINTER_ROLE can mint without limit and nothing backs the token.
///         It exists so that loans and remittances can move a dollar-like token on
///         a development chain.
/// @dev 2 decimals, so one token unit is one US cent, matching ZKredit's
///      minor-unit amounts. EIP-2612 `permit` lets a borrower approve repayments
///      with a signature instead of a transaction.
contract ZkUSD is ERC20, ERC20Burnable, ERC20Permit, AccessControl {
    bytes32 public constant MINTER_ROLE = keccak256("MINTER_ROLE");

    /// @param admin Receives DEFAULT_ADMIN_ROLE and MINTER_ROLE.
    constructor(address admin) ERC20("ZKredit Test USD", "zkUSD") ERC20Permit("ZKredit Test USD") {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(MINTER_ROLE, admin);
    }

    /// @notice Mint `amount` cents to `to`. Test token: unbacked by design.
    function mint(address to, uint256 amount) external onlyRole(MINTER_ROLE) {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 2;
    }
}
