// SPDX-License-Identifier: GPL-3.0-or-later
pragma solidity 0.8.28;

import {ERC721} from "@openzeppelin/contracts/token/ERC721/ERC721.sol";
import {IERC165} from "@openzeppelin/contracts/utils/introspection/IERC165.sol";
import {ERC721URIStorage} from "@openzeppelin/contracts/token/ERC721/extensions/ERC721URIStorage.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {SignatureChecker} from "@openzeppelin/contracts/utils/cryptography/SignatureChecker.sol";

import {IIdentityRegistry} from "./interfaces/IIdentityRegistry.sol";

/// @title ZKredit ERC-8004 identity registry
/// @notice Every ZKredit agent (worker, credit, remittance, receiver) and every
///         borrower that builds a repayment history holds one agent token here.
/// @dev Agent ids start at 1, so 0 never names an agent. The `agentWallet` is kept
///      in its own mapping and exposed through the reserved metadata key
///      `agentWallet`; it starts as the registrant, changes only with a signature
///      from the new wallet, and is cleared when the token changes hands so that a
///      buyer cannot inherit the seller's payment address. The registry has no
///      admin and no upgrade path.
contract ERC8004IdentityRegistry is ERC721URIStorage, EIP712, IIdentityRegistry {
    /// @notice EIP-712 type signed by the new wallet in `setAgentWallet`.
    bytes32 public constant AGENT_WALLET_SET_TYPEHASH =
        keccak256("AgentWalletSet(uint256 agentId,address newWallet,address owner,uint256 deadline)");

    /// @notice Longest time a wallet signature may stay valid, so a leaked
    ///         signature cannot be replayed much later.
    uint256 public constant MAX_DEADLINE_DELAY = 5 minutes;

    string private constant AGENT_WALLET_KEY = "agentWallet";
    bytes32 private constant AGENT_WALLET_KEY_HASH = keccak256(bytes(AGENT_WALLET_KEY));

    uint256 private _lastId;
    mapping(uint256 agentId => mapping(string metadataKey => bytes metadataValue)) private _metadata;
    mapping(uint256 agentId => address wallet) private _agentWallet;

    constructor() ERC721("ZKredit Agent", "ZKAGENT") EIP712("ERC8004IdentityRegistry", "1") {}

    // ---------------------------------------------------------------- register

    /// @inheritdoc IIdentityRegistry
    function register() external returns (uint256 agentId) {
        agentId = _register("");
        _safeMint(msg.sender, agentId);
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI) external returns (uint256 agentId) {
        agentId = _register(agentURI);
        _safeMint(msg.sender, agentId);
    }

    /// @inheritdoc IIdentityRegistry
    function register(string calldata agentURI, MetadataEntry[] calldata metadata)
        external
        returns (uint256 agentId)
    {
        agentId = _register(agentURI);
        for (uint256 i = 0; i < metadata.length; ++i) {
            _writeMetadata(agentId, metadata[i].metadataKey, metadata[i].metadataValue);
        }
        // Minting last: `_safeMint` calls back into a contract registrant, and by
        // then every piece of state for this agent is final.
        _safeMint(msg.sender, agentId);
    }

    // ------------------------------------------------------------ URI, metadata

    /// @inheritdoc IIdentityRegistry
    function setAgentURI(uint256 agentId, string calldata newURI) external {
        _requireAuthorized(agentId);
        _setTokenURI(agentId, newURI);
        emit URIUpdated(agentId, newURI, msg.sender);
    }

    /// @inheritdoc IIdentityRegistry
    function getMetadata(uint256 agentId, string calldata metadataKey) external view returns (bytes memory) {
        if (keccak256(bytes(metadataKey)) == AGENT_WALLET_KEY_HASH) {
            address wallet = _agentWallet[agentId];
            return wallet == address(0) ? bytes("") : abi.encodePacked(wallet);
        }
        return _metadata[agentId][metadataKey];
    }

    /// @inheritdoc IIdentityRegistry
    function setMetadata(uint256 agentId, string calldata metadataKey, bytes calldata metadataValue) external {
        _requireAuthorized(agentId);
        _writeMetadata(agentId, metadataKey, metadataValue);
    }

    // ------------------------------------------------------------------ wallet

    /// @inheritdoc IIdentityRegistry
    function setAgentWallet(uint256 agentId, address newWallet, uint256 deadline, bytes calldata signature)
        external
    {
        address owner = _requireAuthorized(agentId);
        if (newWallet == address(0)) revert IdentityRegistry__ZeroWallet();
        if (deadline < block.timestamp || deadline > block.timestamp + MAX_DEADLINE_DELAY) {
            revert IdentityRegistry__InvalidDeadline(deadline);
        }
        bytes32 digest =
            _hashTypedDataV4(keccak256(abi.encode(AGENT_WALLET_SET_TYPEHASH, agentId, newWallet, owner, deadline)));
        // EOAs sign with ECDSA; smart-contract wallets answer ERC-1271.
        if (!SignatureChecker.isValidSignatureNow(newWallet, digest, signature)) {
            revert IdentityRegistry__InvalidWalletSignature(newWallet);
        }
        _setWallet(agentId, newWallet);
    }

    /// @inheritdoc IIdentityRegistry
    function unsetAgentWallet(uint256 agentId) external {
        _requireAuthorized(agentId);
        _setWallet(agentId, address(0));
    }

    /// @inheritdoc IIdentityRegistry
    function getAgentWallet(uint256 agentId) external view returns (address) {
        _requireOwned(agentId);
        return _agentWallet[agentId];
    }

    /// @inheritdoc IIdentityRegistry
    function isAuthorizedOrOwner(address spender, uint256 agentId) external view returns (bool) {
        return _isAuthorized(_requireOwned(agentId), spender, agentId);
    }

    /// @notice Domain separator of the EIP-712 `AgentWalletSet` signatures.
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @notice Number of agents registered so far (ids run from 1 to this value).
    function totalAgents() external view returns (uint256) {
        return _lastId;
    }

    // ---------------------------------------------------------------- internal

    function _register(string memory agentURI) private returns (uint256 agentId) {
        agentId = ++_lastId;
        if (bytes(agentURI).length != 0) _setTokenURI(agentId, agentURI);
        emit Registered(agentId, agentURI, msg.sender);
        _setWallet(agentId, msg.sender);
    }

    function _writeMetadata(uint256 agentId, string calldata key, bytes calldata value) private {
        if (keccak256(bytes(key)) == AGENT_WALLET_KEY_HASH) revert IdentityRegistry__ReservedMetadataKey(key);
        _metadata[agentId][key] = value;
        emit MetadataSet(agentId, key, key, value);
    }

    function _setWallet(uint256 agentId, address wallet) private {
        _agentWallet[agentId] = wallet;
        emit MetadataSet(
            agentId,
            AGENT_WALLET_KEY,
            AGENT_WALLET_KEY,
            wallet == address(0) ? bytes("") : abi.encodePacked(wallet)
        );
    }

    function _requireAuthorized(uint256 agentId) private view returns (address owner) {
        owner = _requireOwned(agentId);
        if (!_isAuthorized(owner, msg.sender, agentId)) {
            revert IdentityRegistry__NotAuthorized(agentId, msg.sender);
        }
    }

    /// @dev A transfer (not a mint or burn) clears the verified wallet: the new
    ///      owner must prove control of a wallet again.
    function _update(address to, uint256 tokenId, address auth) internal override returns (address from) {
        from = super._update(to, tokenId, auth);
        if (from != address(0) && to != address(0) && _agentWallet[tokenId] != address(0)) {
            _setWallet(tokenId, address(0));
        }
    }

    /// @inheritdoc ERC721URIStorage
    function supportsInterface(bytes4 interfaceId)
        public
        view
        override(ERC721URIStorage, IERC165)
        returns (bool)
    {
        return interfaceId == type(IIdentityRegistry).interfaceId || super.supportsInterface(interfaceId);
    }
}
