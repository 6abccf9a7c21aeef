// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {IERC721} from "@openzeppelin/contracts/token/ERC721/IERC721.sol";

/// @title ERC-8004 identity registry
/// @notice Agents are ERC-721 tokens: `agentId` is the tokenId and `agentURI` is the
///         tokenURI, pointing at the agent's registration file. Each agent carries
///         free-form on-chain metadata and one verified payment wallet (`agentWallet`).
/// @dev Function and event names follow the ERC-8004 "Trustless Agents" draft
///      (Jan 2026 revision). The ERC-721 functions are inherited by the implementation.
interface IIdentityRegistry is IERC721 {
    /// @notice One on-chain metadata entry supplied at registration.
    struct MetadataEntry {
        string metadataKey;
        bytes metadataValue;
    }

    /// @notice A new agent was minted to `owner`.
    event Registered(uint256 indexed agentId, string agentURI, address indexed owner);
    /// @notice The agent's registration-file URI changed.
    event URIUpdated(uint256 indexed agentId, string newURI, address indexed updatedBy);
    /// @notice A metadata value was written (including the reserved `agentWallet` key).
    event MetadataSet(
        uint256 indexed agentId, string indexed indexedMetadataKey, string metadataKey, bytes metadataValue
    );

    /// @notice The caller is neither the agent's owner nor an approved operator.
    error IdentityRegistry__NotAuthorized(uint256 agentId, address caller);
    /// @notice `agentWallet` can only be changed through `setAgentWallet`.
    error IdentityRegistry__ReservedMetadataKey(string metadataKey);
    /// @notice The signature deadline is in the past or too far in the future.
    error IdentityRegistry__InvalidDeadline(uint256 deadline);
    /// @notice The new wallet did not sign the EIP-712 `AgentWalletSet` message.
    error IdentityRegistry__InvalidWalletSignature(address newWallet);
    /// @notice The zero address cannot be a wallet; use `unsetAgentWallet`.
    error IdentityRegistry__ZeroWallet();

    /// @notice Register an agent without a URI (set it later with `setAgentURI`).
    function register() external returns (uint256 agentId);

    /// @notice Register an agent whose registration file lives at `agentURI`.
    function register(string calldata agentURI) external returns (uint256 agentId);

    /// @notice Register an agent with a URI and initial metadata entries.
    function register(string calldata agentURI, MetadataEntry[] calldata metadata)
        external
        returns (uint256 agentId);

    /// @notice Point the agent at a new registration file.
    function setAgentURI(uint256 agentId, string calldata newURI) external;

    /// @notice Read one metadata value (`agentWallet` returns the 20-byte wallet).
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory);

    /// @notice Write one metadata value. Reverts for the reserved `agentWallet` key.
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external;

    /// @notice Change the agent's payment wallet, proven by an EIP-712 (or ERC-1271)
    ///         signature of `newWallet` over `AgentWalletSet(agentId,newWallet,owner,deadline)`.
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature)
        external;

    /// @notice Clear the agent's payment wallet.
    function unsetAgentWallet(uint256 agentId) external;

    /// @notice The agent's verified payment wallet (zero after a transfer until re-verified).
    function getAgentWallet(uint256 agentId) external view returns (address);

    /// @notice True when `spender` is the agent's owner, approved for it, or an operator
    ///         of its owner (ERC-721 rules). Reverts for an agent that does not exist.
    ///         The reference implementation's signature, so the registries that call it
    ///         can point at any ERC-8004 identity registry.
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool);
}
